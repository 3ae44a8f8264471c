"""What the tests share: factories, generators, the reference renderer, the browser Viewer."""
