"""Tools the model may call: built-in ones (calculator, date and time, units, a file the user
confirms) and those of MCP servers; who may run them (approval policies); and the executor a
turn's tool loop runs them with. Qt-free."""
