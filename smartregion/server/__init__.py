"""The HTTP server the platform runs in production: an asyncio HTTP/1.1 worker for gunicorn.

Why not gunicorn's own threaded worker: a cheap SPARQL lookup costs pyoxigraph about 70 µs,
and gunicorn's ``gthread`` worker plus Flask cost several times that per request, so the
Python HTTP path, not the store, decided how many lookups per second the platform answers.
Here each worker process runs one asyncio event loop that parses requests with ``httptools``
(llhttp, the strict parser of Node.js) and

* answers what the *fast lane* (:mod:`endpoint.fast_lane`) can answer at once on the loop:
  cached SPARQL results and provably cheap queries run in-process;
* hands every other request to the Flask WSGI application in a thread pool
  (:mod:`smartregion.server.wsgi_bridge`), streaming its body back with flow control.

Gunicorn stays the process manager (forking, restarts, graceful reloads, the heartbeat):
:class:`smartregion.server.worker.SmartregionWorker` is a gunicorn worker class.
Connection handling and HTTP framing are :mod:`smartregion.server.protocol`.
"""
