not a journal file
