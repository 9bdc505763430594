print("twossp-worker")
