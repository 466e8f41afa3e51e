"""BOLOs: be-on-the-lookout notices for people and vehicles, shown to officers and on the board."""
