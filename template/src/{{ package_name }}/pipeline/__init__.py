"""Pipeline layer: one thin command per DVC stage; it reads, calls the layers below, writes."""
