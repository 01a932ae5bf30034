/* The query UI of /sparql: replaces the plain form by YASGUI when its assets are loaded.
   Example links load their query into the editor and run it. No CDN, no inline script. */
(function () {
  "use strict";
  var holder = document.getElementById("yasgui");
  var configElement = document.getElementById("sparql-config");
  if (typeof Yasgui === "undefined" || !holder || !configElement) {
    return; // the plain form stays: it works without JavaScript
  }
  var config = JSON.parse(configElement.textContent);
  var endpoint = new URL(config.endpoint, window.location.href).href;
  var form = document.getElementById("sparql-form");
  var yasgui = new Yasgui(holder, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    persistenceId: "smartregion-yasgui"
  });
  if (form) { form.hidden = true; }
  holder.hidden = false;
  var tab = yasgui.getTab();
  if (config.query) {
    tab.setQuery(config.query);
  } else if (!tab.getQuery().trim()) {
    var first = Object.keys(config.examples)[0];
    if (first) { tab.setQuery(config.examples[first]); }
  }
  document.querySelectorAll("[data-example]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var text = config.examples[link.getAttribute("data-example")];
      if (!text) { return; }
      event.preventDefault();
      var current = yasgui.getTab();
      current.setQuery(text);
      current.query();
      holder.scrollIntoView({ behavior: "smooth", block: "start" });
    });
  });
})();
