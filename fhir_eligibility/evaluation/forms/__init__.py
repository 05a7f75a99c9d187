"""One module per characteristic form: each turns a leaf of the criteria tree into an Outcome."""
