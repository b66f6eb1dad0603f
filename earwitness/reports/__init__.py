"""Reports of our own: the dossier, the examination report and the plots they share."""
