"""Chat platform adapters: each turns platform updates into core events and sends core messages back."""
