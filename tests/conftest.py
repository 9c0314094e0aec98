pytest_plugins = ["tests.standin.plugin", "tests.lantern_harness", "tests.pgserver"]
