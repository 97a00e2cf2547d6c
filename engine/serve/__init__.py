"""``docflow serve``: the reminder service, a front end over the application layer."""
