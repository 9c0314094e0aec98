pytest_plugins = ["tests.standin.plugin"]
