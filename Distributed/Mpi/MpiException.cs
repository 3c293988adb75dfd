namespace Functional.Distributed;

/// <summary>An MPI call failed: the message names the call, the rank it failed on and MPI's own error text.</summary>
public sealed class MpiException : Exception
{
    /// <summary>An MPI failure of <paramref name="call"/> on <paramref name="rank"/> (-1 when the rank is not known yet).</summary>
    public MpiException(string call, int rank, int errorCode, string detail)
        : base($"{call} failed on rank {(rank < 0 ? "?" : rank.ToString(System.Globalization.CultureInfo.InvariantCulture))} with MPI error {errorCode}: {detail}")
    {
        Call = call;
        Rank = rank;
        ErrorCode = errorCode;
    }

    /// <summary>The MPI function that failed, e.g. <c>MPI_Allreduce</c>.</summary>
    public string Call { get; }

    /// <summary>The rank (in <c>MPI_COMM_WORLD</c>) the call failed on; -1 when it failed before the rank was known.</summary>
    public int Rank { get; }

    /// <summary>MPI's error code.</summary>
    public int ErrorCode { get; }
}
