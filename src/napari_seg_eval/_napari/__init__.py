"""Layer helpers between the core and the dock widget (napari, but no Qt)."""
