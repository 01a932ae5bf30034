/* The query UI of /sparql: replaces the plain form by YASGUI when its assets are loaded.
   Example links load their query into the editor and run it. No CDN, no inline script, and no
   request to another host: the autocompleters that ask prefix.cc or LOV are not enabled; the
   prefix completer offers the platform's own prefixes (from its JSON-LD context). */
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
  // Queries up to this URL length go as GET (cacheable, ETag), longer ones as POST.
  var GET_LIMIT = 2000;

  var prefixLines = Object.keys(config.prefixes).sort().map(function (name) {
    return name + ": <" + config.prefixes[name] + ">";
  });
  Yasgui.Yasqe.forkAutocompleter("prefixes", {
    name: "platformPrefixes",
    persistenceId: null,
    get: function () { return Promise.resolve(prefixLines); }
  }, false);
  // Only completers that stay on this host ("property" and "class" would ask LOV).
  Yasgui.Yasqe.defaults.autocompleters = ["platformPrefixes", "variables"];

  // YASGUI leaves some controls without an accessible name; they get one here, also when
  // YASR draws a new result table.
  var LABELS = {
    de: { ".autocomplete": "SPARQL-Endpunkt", ".CodeMirror textarea": "SPARQL-Abfrage",
          ".tableSizer": "Zeilen je Seite", ".tableFilter": "Ergebnis filtern" },
    en: { ".autocomplete": "SPARQL endpoint", ".CodeMirror textarea": "SPARQL query",
          ".tableSizer": "Rows per page", ".tableFilter": "Filter the result" }
  };

  function labelControls(root, labels) {
    function apply() {
      Object.keys(labels).forEach(function (selector) {
        root.querySelectorAll(selector).forEach(function (element) {
          if (!element.hasAttribute("aria-label")) {
            element.setAttribute("aria-label", labels[selector]);
          }
        });
      });
    }
    apply();
    new MutationObserver(apply).observe(root, { childList: true, subtree: true });
  }

  function firstExample() {
    var names = Object.keys(config.examples);
    return names.length ? config.examples[names[0]] : "";
  }

  // YASGUI calls this with itself, YASQE with itself.
  function method(owner) {
    var text = typeof owner.getValue === "function" ? owner.getValue() : owner.getTab().getQuery();
    var length = endpoint.length + encodeURIComponent(text).length;
    return length <= GET_LIMIT ? "GET" : "POST";
  }

  // CodeMirror measures its container when it starts: show the holder first, or the editor
  // stays blank until something makes it redraw.
  holder.hidden = false;
  if (form) { form.hidden = true; }
  var yasgui = new Yasgui(holder, {
    requestConfig: { endpoint: endpoint, method: method },
    copyEndpointOnNewTab: false,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    persistenceId: null, // open with the platform's example, not with a stored tab
    populateFromUrl: false, // the server put ?query= into config.query already
    tabName: config.tabName,
    yasqe: {
      value: config.query || firstExample(),
      persistenceId: null,
      resizeable: true,
      editorHeight: "22rem"
    },
    yasr: { persistenceId: null, prefixes: config.prefixes }
  });
  labelControls(holder, document.documentElement.lang === "en" ? LABELS.en : LABELS.de);
  var tab = yasgui.getTab();
  tab.setQuery(config.query || firstExample());
  holder.setAttribute("data-ready", "true");

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
