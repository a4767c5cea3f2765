"""fixtures/make_fixture.py needs real Keras; pytest (--doctest-modules) must not import it."""

collect_ignore = ["fixtures/make_fixture.py"]
