# The README's two commands: `make serve` and `make test`. Each sets up from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
CHROMIUM ?= /usr/bin/chromium

.PHONY: setup serve test test-fast lint bench browser nginx rsync virtuoso ui ckan-venv clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

setup: $(STAMP) ui

# Self-hosted front-end assets (YASGUI, Leaflet) from the npm registry; no CDN at run time.
ui:
	@if [ -f package.json ]; then \
	  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then npm ci --no-audit --no-fund --loglevel=error; fi; \
	  $(BIN)/python -m endpoint.assets install; \
	fi

# Debian's chromium for the browser tests (Playwright drives it; no browser download).
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium missing: run 'sudo apt-get install chromium'"; exit 1; fi; \
	fi

# Debian's nginx with the brotli filter for the reverse-proxy test (tests/e2e/test_reverse_proxy.py
# runs deploy/nginx/smartregion.conf with it, as the README ships it).
NGINX ?= /usr/sbin/nginx
NGINX_BROTLI ?= /usr/lib/nginx/modules/ngx_http_brotli_filter_module.so
nginx:
	@if [ ! -x $(NGINX) ] || [ ! -f $(NGINX_BROTLI) ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx libnginx-mod-http-brotli-filter >/dev/null; \
	  else echo "nginx missing: run 'sudo apt-get install nginx libnginx-mod-http-brotli-filter'"; exit 1; fi; \
	fi

# rsync for embedded replicas (`smartregion replicate`; tests/e2e/test_replica.py).
RSYNC ?= /usr/bin/rsync
rsync:
	@if [ ! -x $(RSYNC) ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rsync >/dev/null; \
	  else echo "rsync missing: run 'sudo apt-get install rsync'"; exit 1; fi; \
	fi

# Debian's Virtuoso Open Source 7 for the tests of the remote backend on Virtuoso
# (tests/virtuoso_server.py starts virtuoso-t with its own virtuoso.ini; marker virtuoso).
VIRTUOSO ?= /usr/bin/virtuoso-t
virtuoso:
	@if [ ! -x $(VIRTUOSO) ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq virtuoso-opensource >/dev/null; \
	  else echo "virtuoso-t missing: run 'sudo apt-get install virtuoso-opensource' (or the virtuoso tests skip)"; exit 1; fi; \
	fi

# ckanext-dcat's RDF parser for the CKAN harvest test, in its own venv under var/ (CKAN's
# pins clash with ours). Installs from PyPI once; if it cannot, the test skips and says why.
ckan-venv: setup
	@$(BIN)/python -c "from tests.conformance.test_ckan_harvest import build_ckan_venv as b; print('CKAN venv:', b())" \
	  || echo "CKAN venv not installed; tests/conformance/test_ckan_harvest.py will skip"

serve: setup
	$(BIN)/smartregion load
	$(BIN)/smartregion serve

test: setup browser nginx rsync virtuoso ckan-venv lint
	$(BIN)/pytest

test-fast: setup
	$(BIN)/pytest -m "not e2e and not browser and not remote and not slow"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: setup
	@for script in bench/bench_*.py; do name=$$(basename $$script .py); echo "== $$name"; $(BIN)/python -m bench.$$name || exit 1; done

clean:
	rm -rf $(VENV) node_modules var
