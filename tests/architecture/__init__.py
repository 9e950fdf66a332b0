"""How the code is laid out: layers, key shapes, platforms as modules."""
