"""The settings schema, its loader, and the bundled example school."""
