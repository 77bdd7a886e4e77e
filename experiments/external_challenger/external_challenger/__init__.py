"""An example challenger kept in its own repository (see docs/challengers.md of the kit)."""
