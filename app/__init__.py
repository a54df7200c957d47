"""Regie: the living handreiking 'Regie in 7 samenwerkingsstappen'."""
