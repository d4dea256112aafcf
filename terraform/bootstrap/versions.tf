terraform {
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.48"
    }
  }

  # Local state on purpose: this root creates the buckets every other root keeps its state
  # in. infrarep passes the path at init (-backend-config=path=...), outside the repo.
  backend "local" {}
}
