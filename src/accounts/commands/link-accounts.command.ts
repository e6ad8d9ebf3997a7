import { PipelineStepCommand } from '../../ingestion/pipeline/pipeline-step';

/**
 * The accounts stage of the pipeline: Segment `group` calls create or update their account, profiles
 * join the accounts of their group calls and of their company email domain, and every event of a
 * profile that belongs to an account gets that `accountId` for the stages after it.
 */
export class LinkAccountsCommand extends PipelineStepCommand {}
