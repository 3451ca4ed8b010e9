module realworld

go 1.26
