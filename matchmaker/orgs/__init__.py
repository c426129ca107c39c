"""Organizations: create, edit the public page, invite co-organizers."""
