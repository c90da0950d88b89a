"""Face-dataset reading and classification metrics (pure numpy), shared by eval-faces and training."""
