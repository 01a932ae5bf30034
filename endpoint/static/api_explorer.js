// Starts the self-hosted swagger-ui on the API explorer page (no request to another host).
(function () {
  "use strict";
  var node = document.getElementById("swagger-ui");
  if (!node || typeof SwaggerUIBundle !== "function") { return; }
  SwaggerUIBundle({ url: node.getAttribute("data-spec"), dom_id: "#swagger-ui",
                    deepLinking: true, validatorUrl: null });
}());
