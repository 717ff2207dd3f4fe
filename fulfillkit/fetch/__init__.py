"""The fetch path, top to bottom: ``engine`` (the one batch engine) -> ``request`` (the one
retry loop, with ``retry`` decisions and the ``pacer``) -> ``protocol`` (build a request,
interpret an answer) -> ``transport`` (the one httpx user). Around it: ``config``
(settings, credentials), ``results`` (BatchResult), ``checkpoint``, ``sink``, ``progress``,
``redact``, ``loopthread``.

Nothing is imported here: import the module you need (``fulfillkit.fetch.engine``).
"""
