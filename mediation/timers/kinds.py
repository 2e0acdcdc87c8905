"""Every module that registers a timer handler or a recurring timer; the runner imports this one."""
