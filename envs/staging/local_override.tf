# Rendered by infrarep for the `local` target only: points the AWS provider at the local
# AWS (moto server). The endpoint is var.local_aws_endpoint (local_aws.tf), which infrarep
# sets as TF_VAR_local_aws_endpoint. Do not edit; real-AWS targets never get this file.

provider "aws" {
  s3_use_path_style           = true
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  # Fewer than the provider's 25: the local AWS answers a call it does not implement with
  # HTTP 500, which retried with backoff would take minutes to surface.
  max_retries = 5

  endpoints {
    apigateway     = var.local_aws_endpoint
    appautoscaling = var.local_aws_endpoint
    cloudwatch     = var.local_aws_endpoint
    codebuild      = var.local_aws_endpoint
    codepipeline   = var.local_aws_endpoint
    dynamodb       = var.local_aws_endpoint
    ec2            = var.local_aws_endpoint
    events         = var.local_aws_endpoint
    iam            = var.local_aws_endpoint
    kms            = var.local_aws_endpoint
    lambda         = var.local_aws_endpoint
    logs           = var.local_aws_endpoint
    rds            = var.local_aws_endpoint
    s3             = var.local_aws_endpoint
    s3control      = var.local_aws_endpoint
    secretsmanager = var.local_aws_endpoint
    sfn            = var.local_aws_endpoint
    sns            = var.local_aws_endpoint
    sqs            = var.local_aws_endpoint
    sts            = var.local_aws_endpoint
    wafv2          = var.local_aws_endpoint
    xray           = var.local_aws_endpoint
  }
}
