"""``keras.preprocessing``: image and sequence preprocessing arrive with the data
preprocessing work; until then this namespace is empty."""
