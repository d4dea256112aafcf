# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/hashicorp/aws" {
  version     = "6.48.0"
  constraints = ">= 6.0.0, ~> 6.48"
  hashes = [
    "h1:7TokGBDOGK2/sMDVvEY72k4x+Q+i9fZOOwncKdUFyBI=",
  ]
}
