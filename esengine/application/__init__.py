"""The command side and the query side: buses, the command context, the event publisher."""
