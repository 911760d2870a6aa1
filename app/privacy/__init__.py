"""Personal data in stored text: detection (`scan`), the review queue (`queue`), replacement (`replace`)."""
