print("twossp")
