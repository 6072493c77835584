"""The public face of a workspace: its page (name, services, contact form). No login."""
