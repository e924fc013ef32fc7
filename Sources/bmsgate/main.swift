print("bmsgate")
