# Rendered by infrarep: `terraform init -backend-config=backend.hcl`. Do not edit.
bucket       = "infrarep-tfstate-us-east-1"
key          = "control-plane/terraform.tfstate"
region       = "us-east-1"
encrypt      = true
use_lockfile = true

# Target local: the endpoint arrives as AWS_ENDPOINT_URL_S3 from infrarep.
use_path_style              = true
skip_credentials_validation = true
skip_metadata_api_check     = true
skip_region_validation      = true
skip_requesting_account_id  = true
