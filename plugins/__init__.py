"""Built-in plugins: one package each, discovered by the plugin manager."""
