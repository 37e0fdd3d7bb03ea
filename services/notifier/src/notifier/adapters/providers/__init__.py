"""SMS providers behind :class:`notifier.usecases.ports.SmsProvider`; the composition root picks
them by settings (``factory``)."""
