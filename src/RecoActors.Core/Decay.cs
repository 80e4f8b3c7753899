namespace RecoActors.Core;

/// <summary>Exponential decay by event time with a half-life.</summary>
public static class Decay
{
    /// <summary>2^(−Δt/halfLife); Δt below zero (an out-of-order event) decays nothing.</summary>
    public static double Factor(long deltaMs, long halfLifeMs)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(halfLifeMs);
        return deltaMs <= 0 ? 1.0 : double.Exp2(-(double)deltaMs / halfLifeMs);
    }
}
