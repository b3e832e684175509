namespace Skiff.ApiServer.Registry;

/// <summary>What to do with fields the schema does not know (the fieldValidation query parameter).</summary>
internal enum FieldValidation
{
    Ignore,
    Warn,
    Strict,
}
