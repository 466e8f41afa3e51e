"""Sites and the places inside them: buildings, floors, zones."""
