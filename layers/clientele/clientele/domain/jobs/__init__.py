"""Jobs: bulk operations by id and by filter, and jobs as the API shows them."""
