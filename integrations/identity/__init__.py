"""The real-name identity verification system (实名核验): name + ID number -> match or not."""
