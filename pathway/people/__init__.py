"""Members, units, users and roles: who is who, who may see what, and the read audit."""
