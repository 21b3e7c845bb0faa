// End-to-end tests run the built executables; see the files beside this one.
