module gogzip

go 1.27
