"""Adapters: implementations of the ports. ``memory`` and ``fakes`` need nothing beyond the
core dependencies; later adapters (SQL, SMTP, webhook) sit behind optional extras."""
