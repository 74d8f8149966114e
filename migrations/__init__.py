"""Database migrations, one package per Tortoise app."""
