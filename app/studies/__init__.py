"""Setting up a study: the study and its members, participants and consent, the codebook."""
