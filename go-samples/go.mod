module gorepro.dev/samples

go 1.26
