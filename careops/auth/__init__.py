"""Users, tokens, invitations: who may call the API."""
